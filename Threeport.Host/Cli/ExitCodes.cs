namespace Threeport.Host.Cli;

// What `tptctl` returns; scripts branch on these, so the numbers never change meaning.
public static class ExitCodes
{
    public const int Success = 0;
    public const int Error = 1;
    public const int Usage = 2;
    public const int Unreachable = 3;
    public const int NotFound = 4;
    public const int InvalidConfig = 5;
    public const int Rejected = 6;
    public const int WaitFailed = 7;
    public const int WaitTimedOut = 8;
    public const int Cancelled = 130;
}
