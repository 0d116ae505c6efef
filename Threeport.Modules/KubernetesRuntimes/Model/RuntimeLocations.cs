namespace Threeport.Modules.KubernetesRuntimes.Model;

// Threeport's location names (internal/kubernetes-runtime/mapping/location.go).
public static class RuntimeLocations
{
    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal)
    {
        "Local",
        "NorthAmerica:NewYork", "NorthAmerica:Chicago", "NorthAmerica:LosAngeles", "NorthAmerica:Seattle", "NorthAmerica:Toronto",
        "Asia:Tokyo", "Asia:Seoul", "Asia:Singapore", "Asia:Mumbai", "Asia:HongKong",
        "Europe:London", "Europe:Paris", "Europe:Frankfurt", "Europe:Stockholm", "Europe:Dublin", "Europe:Milan",
        "Oceana:Sydney", "Oceana:Melbourne",
        "SouthAmerica:SaoPaulo",
        "Africa:CapeTown",
    };
}
