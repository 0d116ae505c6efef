namespace Threeport.Modules.DevCluster.Api;

// One servable resource: the row of the table that drives discovery, storage, tables and openapi.
internal sealed record ResourceType(
    string Group,
    string Version,
    string Plural,
    string Singular,
    string Kind,
    bool Namespaced,
    string[] ShortNames,
    string[] Categories,
    bool HasStatus,
    bool HasScale)
{
    public static readonly string[] AllVerbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

    // Storage key: versions of one group share storage (no conversion between versions).
    public string Key => Group + "/" + Plural;

    public string GroupVersion => Group.Length == 0 ? Version : Group + "/" + Version;

    public string ListKind => Kind + "List";

    // The name the apiserver uses in messages: deployments.apps, pods.
    public string QualifiedName => Group.Length == 0 ? Plural : Plural + "." + Group;

    // Printer columns declared by a CRD (additionalPrinterColumns), empty for built-ins.
    public IReadOnlyList<CustomColumn> CustomColumns { get; init; } = [];

    // Set for resources served because a CRD declared them.
    public bool IsCustom { get; init; }
}

internal sealed record CustomColumn(string Name, string Type, string JsonPath, int Priority, string Description);
