using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Threeport.Modules.Platform.Persistence;

namespace Threeport.Modules.Platform.Secrets;

// The key for [Sensitive] fields, read once: from configuration when given, else from the data directory's
// encryption.key, made on first start (mode 0600). Never logged; its fingerprint is not kept anywhere either.
public sealed class EncryptionKey(IConfiguration configuration, DataDirectory dataDirectory, ILogger<EncryptionKey> log)
{
    private readonly Lazy<byte[]> bytes = new(() => Load(configuration, dataDirectory, log));

    public byte[] Bytes => bytes.Value;

    public string FilePath => Path.Combine(dataDirectory.Path, EncryptionKeySettings.FileName);

    // Reads (or makes) the key now, so a bad key stops start-up instead of the first request.
    public void EnsureLoaded() => _ = bytes.Value;

    private static byte[] Load(IConfiguration configuration, DataDirectory dataDirectory, ILogger log)
    {
        if (configuration[EncryptionKeySettings.Key] is { Length: > 0 } configured)
        {
            return Decode(configured, $"the configured {EncryptionKeySettings.Key}");
        }

        var path = Path.Combine(dataDirectory.Path, EncryptionKeySettings.FileName);
        try
        {
            if (File.Exists(path))
            {
                return Decode(File.ReadAllText(path).Trim(), $"the key file {path}");
            }

            var key = System.Security.Cryptography.RandomNumberGenerator.GetBytes(EncryptionKeySettings.KeyBytes);
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using (var writer = new StreamWriter(path, System.Text.Encoding.ASCII, options))
            {
                writer.Write(Convert.ToBase64String(key));
            }

            log.LogWarning("Generated an encryption key for sensitive fields at {Path}: back it up with threeport.db, or set {Setting}", path, EncryptionKeySettings.Key);
            return key;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new StartupException($"the encryption key file {path} cannot be read or created ({ex.Message.TrimEnd('.')}): fix its permissions or set {EncryptionKeySettings.Key}", ex);
        }
    }

    private static byte[] Decode(string text, string source)
    {
        byte[] key;
        try
        {
            key = Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            throw new StartupException($"{source} is not base64: it must be the base64 of {EncryptionKeySettings.KeyBytes} random bytes (e.g. `openssl rand -base64 32`)");
        }

        return key.Length == EncryptionKeySettings.KeyBytes
            ? key
            : throw new StartupException($"{source} is {key.Length} bytes long: it must be the base64 of {EncryptionKeySettings.KeyBytes} random bytes (e.g. `openssl rand -base64 32`)");
    }
}
