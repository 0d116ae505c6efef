namespace Threeport.Modules.Platform.Secrets;

// Threeport:EncryptionKey: the base64 of 32 random bytes. `tptctl up` passes the one kept in the CLI config;
// without it the control plane keeps its own in <DataDirectory>/encryption.key.
public static class EncryptionKeySettings
{
    public const string Key = "Threeport:EncryptionKey";

    public const string FileName = "encryption.key";

    public const int KeyBytes = 32;
}
