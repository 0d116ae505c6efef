namespace Threeport.Modules.Workloads.Model;

public static class WorkloadInstanceStatus
{
    public const string Reconciling = "Reconciling";
    public const string Healthy = "Healthy";
    public const string Unhealthy = "Unhealthy";
    public const string Down = "Down";
    public const string Error = "Error";
}
