using System.Security.Cryptography;
using System.Text;

namespace Threeport.Modules.Platform.Secrets;

// AES-256-GCM for [Sensitive] fields: a fresh 96-bit nonce per value, the 128-bit tag authenticates it, and the
// stored text is "tpenc:v1:" + base64(nonce | ciphertext | tag). A value without the prefix was written before
// encryption existed and is read as it is (DatabaseStartup encrypts such values in place).
public sealed class FieldProtector(EncryptionKey key)
{
    public const string Prefix = "tpenc:v1:";

    private const int NonceBytes = 12;
    private const int TagBytes = 16;

    public static bool IsProtected(string? stored) => stored is not null && stored.StartsWith(Prefix, StringComparison.Ordinal);

    public string Protect(string plaintext)
    {
        var plain = Encoding.UTF8.GetBytes(plaintext);
        var sealedValue = new byte[NonceBytes + plain.Length + TagBytes];
        var nonce = sealedValue.AsSpan(0, NonceBytes);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(key.Bytes, TagBytes);
        aes.Encrypt(nonce, plain, sealedValue.AsSpan(NonceBytes, plain.Length), sealedValue.AsSpan(NonceBytes + plain.Length, TagBytes));
        return Prefix + Convert.ToBase64String(sealedValue);
    }

    // Throws CryptographicException when the value was sealed with another key or was tampered with.
    public string Unprotect(string stored)
    {
        if (!IsProtected(stored))
        {
            return stored;
        }

        byte[] sealedValue;
        try
        {
            sealedValue = Convert.FromBase64String(stored[Prefix.Length..]);
        }
        catch (FormatException ex)
        {
            throw new CryptographicException("an encrypted field is damaged (not base64)", ex);
        }

        if (sealedValue.Length < NonceBytes + TagBytes)
        {
            throw new CryptographicException("an encrypted field is damaged (too short)");
        }

        var cipherLength = sealedValue.Length - NonceBytes - TagBytes;
        var plain = new byte[cipherLength];
        using var aes = new AesGcm(key.Bytes, TagBytes);
        aes.Decrypt(sealedValue.AsSpan(0, NonceBytes), sealedValue.AsSpan(NonceBytes, cipherLength), sealedValue.AsSpan(NonceBytes + cipherLength, TagBytes), plain);
        return Encoding.UTF8.GetString(plain);
    }
}
