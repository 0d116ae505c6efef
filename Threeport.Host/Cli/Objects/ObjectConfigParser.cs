using System.Globalization;
using System.Text.Json.Nodes;
using Threeport.Modules.Platform.Client;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Threeport.Host.Cli.Objects;

// Reads Threeport's object config files as they are (samples/ of threeport/threeport): the top-level key is
// the kind, keys are checked strictly like Go's yaml.UnmarshalStrict, and file references (YAMLDocument)
// are resolved relative to the config file. Every error names file and line.
public static class ObjectConfigParser
{
    public const string Workload = "Workload";
    public const string WorkloadDefinition = "WorkloadDefinition";
    public const string WorkloadInstance = "WorkloadInstance";
    public const string KubernetesRuntime = "KubernetesRuntime";
    public const string KubernetesRuntimeDefinition = "KubernetesRuntimeDefinition";
    public const string KubernetesRuntimeInstance = "KubernetesRuntimeInstance";

    public static readonly IReadOnlyList<string> SupportedKinds =
        [Workload, WorkloadDefinition, WorkloadInstance, KubernetesRuntime, KubernetesRuntimeDefinition, KubernetesRuntimeInstance];

    // Kinds Threeport has that this control plane does not serve yet: recognised so the message says so.
    private static readonly HashSet<string> LaterKinds =
    [
        "HelmWorkload", "HelmWorkloadDefinition", "HelmWorkloadInstance", "Secret", "SecretDefinition", "SecretInstance",
        "Gateway", "GatewayDefinition", "GatewayInstance", "DomainName", "DomainNameDefinition", "DomainNameInstance",
        "ObservabilityStack", "ObservabilityStackDefinition", "ObservabilityStackInstance", "ControlPlane",
        "ControlPlaneDefinition", "ControlPlaneInstance", "Terraform", "TerraformDefinition", "TerraformInstance",
        "AwsAccount", "AwsEksKubernetesRuntime", "AwsEksKubernetesRuntimeDefinition", "AwsEksKubernetesRuntimeInstance",
        "AwsRelationalDatabase", "AwsObjectStorageBucket",
    ];

    // Parts of Threeport's composite Workload config that need modules this control plane does not have yet.
    private static readonly string[] LaterWorkloadParts = ["DomainName", "Gateway", "AwsRelationalDatabase", "AwsObjectStorageBucket", "Secret"];

    public static ObjectConfig ParseFile(string path)
    {
        var full = Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new ConfigFileException(path, null, "config file not found");
        }

        return Parse(File.ReadAllText(full), path, Path.GetDirectoryName(full)!);
    }

    public static ObjectConfig Parse(string yaml, string file, string baseDirectory)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw new ConfigFileException(file, (int)e.Start.Line, "invalid YAML: " + e.Message, e);
        }

        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw new ConfigFileException(file, 1, "expected one YAML document with a top-level object kind, e.g. `WorkloadDefinition:`");
        }

        if (root.Children.Count != 1)
        {
            YamlNode where = root.Children.Keys.ElementAtOrDefault(1) ?? root;
            throw new ConfigFileException(file, Line(where), $"expected exactly one top-level object kind, found {string.Join(", ", root.Children.Keys)}");
        }

        var (kindNode, body) = root.Children.Single();
        var kind = ((YamlScalarNode)kindNode).Value ?? "";
        if (LaterKinds.Contains(kind))
        {
            throw new ConfigFileException(file, Line(kindNode), $"{kind} objects are not supported by this control plane yet (supported: {string.Join(", ", SupportedKinds)})");
        }

        if (!SupportedKinds.Contains(kind))
        {
            throw new ConfigFileException(file, Line(kindNode), $"unknown object kind {kind} (expected one of {string.Join(", ", SupportedKinds)})");
        }

        var reader = Section.Of(body, kind, file, baseDirectory, Line(kindNode));
        var specs = kind switch
        {
            Workload => ParseWorkload(reader),
            WorkloadDefinition => [ParseWorkloadDefinition(reader)],
            WorkloadInstance => [ParseWorkloadInstance(reader)],
            KubernetesRuntime => ParseKubernetesRuntime(reader),
            KubernetesRuntimeDefinition => [ParseRuntimeDefinition(reader)],
            KubernetesRuntimeInstance => [ParseRuntimeInstance(reader)],
            _ => throw new InvalidOperationException(kind),
        };
        reader.RejectUnknownKeys();
        return new ObjectConfig(kind, file, specs);
    }

    private static ObjectSpec[] ParseWorkload(Section s)
    {
        foreach (var part in LaterWorkloadParts)
        {
            s.RejectUnsupported(part);
        }

        var name = s.RequiredString("Name");
        var definition = new JsonObject { ["YAMLDocument"] = s.RequiredFile("YAMLDocument") };
        var instanceRefs = new List<ObjectReference> { new("WorkloadDefinitionID", ApiRoute.WorkloadDefinitions, name) };
        AddRuntimeReference(s, instanceRefs);
        return
        [
            new ObjectSpec(ApiRoute.WorkloadDefinitions, name, definition, [], s.Source),
            new ObjectSpec(ApiRoute.WorkloadInstances, name, [], instanceRefs, s.Source),
        ];
    }

    private static ObjectSpec ParseWorkloadDefinition(Section s)
    {
        var name = s.RequiredString("Name");
        return new ObjectSpec(ApiRoute.WorkloadDefinitions, name, new JsonObject { ["YAMLDocument"] = s.RequiredFile("YAMLDocument") }, [], s.Source);
    }

    private static ObjectSpec ParseWorkloadInstance(Section s)
    {
        var name = s.RequiredString("Name");
        var refs = new List<ObjectReference> { new("WorkloadDefinitionID", ApiRoute.WorkloadDefinitions, s.RequiredReference("WorkloadDefinition")) };
        AddRuntimeReference(s, refs);
        return new ObjectSpec(ApiRoute.WorkloadInstances, name, [], refs, s.Source);
    }

    // Without a KubernetesRuntimeInstance the API places the instance on the default runtime.
    private static void AddRuntimeReference(Section s, List<ObjectReference> refs)
    {
        if (s.OptionalReference("KubernetesRuntimeInstance") is { } runtime)
        {
            refs.Add(new ObjectReference("KubernetesRuntimeInstanceID", ApiRoute.KubernetesRuntimeInstances, runtime));
        }
    }

    private static ObjectSpec[] ParseKubernetesRuntime(Section s)
    {
        var name = s.RequiredString("Name");
        var definition = RuntimeDefinitionFields(s);
        var instance = RuntimeInstanceFields(s);
        return
        [
            new ObjectSpec(ApiRoute.KubernetesRuntimeDefinitions, name, definition, [], s.Source),
            new ObjectSpec(ApiRoute.KubernetesRuntimeInstances, name, instance,
                [new ObjectReference("KubernetesRuntimeDefinitionID", ApiRoute.KubernetesRuntimeDefinitions, name)], s.Source),
        ];
    }

    private static ObjectSpec ParseRuntimeDefinition(Section s)
    {
        var name = s.RequiredString("Name");
        return new ObjectSpec(ApiRoute.KubernetesRuntimeDefinitions, name, RuntimeDefinitionFields(s), [], s.Source);
    }

    private static ObjectSpec ParseRuntimeInstance(Section s)
    {
        var name = s.RequiredString("Name");
        var reference = new ObjectReference("KubernetesRuntimeDefinitionID", ApiRoute.KubernetesRuntimeDefinitions, s.RequiredReference("KubernetesRuntimeDefinition"));
        return new ObjectSpec(ApiRoute.KubernetesRuntimeInstances, name, RuntimeInstanceFields(s), [reference], s.Source);
    }

    private static JsonObject RuntimeDefinitionFields(Section s)
    {
        var fields = new JsonObject { ["InfraProvider"] = s.RequiredString("InfraProvider") };
        s.CopyString(fields, "InfraProviderAccountName");
        s.CopyBool(fields, "HighAvailability");
        s.CopyString(fields, "NodeSize");
        s.CopyString(fields, "NodeProfile");
        s.CopyInt(fields, "NodeMaximum");
        return fields;
    }

    // KubeconfigPath/KubeconfigContext/Kubeconfig are this control plane's way to reach a cluster (Threeport's
    // runtimes are provisioned by it instead); the path is made absolute relative to the config file.
    private static JsonObject RuntimeInstanceFields(Section s)
    {
        var fields = new JsonObject();
        s.CopyString(fields, "Location");
        s.CopyBool(fields, "DefaultRuntime");
        if (s.OptionalPath("KubeconfigPath") is { } path)
        {
            fields["KubeconfigPath"] = path;
        }

        s.CopyString(fields, "KubeconfigContext");
        s.CopyString(fields, "Kubeconfig");
        return fields;
    }

    private static int Line(YamlNode node) => (int)node.Start.Line;

    // One YAML mapping being read: remembers which keys were used so the rest can be rejected by name.
    private sealed class Section
    {
        private readonly YamlMappingNode _node;
        private readonly string _path;
        private readonly string _file;
        private readonly string _baseDirectory;
        private readonly HashSet<string> _used = [];

        private Section(YamlMappingNode node, string path, string file, string baseDirectory)
        {
            _node = node;
            _path = path;
            _file = file;
            _baseDirectory = baseDirectory;
        }

        public string Source => $"{_file}:{Line(_node)}";

        public static Section Of(YamlNode node, string path, string file, string baseDirectory, int line) =>
            node is YamlMappingNode mapping
                ? new Section(mapping, path, file, baseDirectory)
                : throw new ConfigFileException(file, line, $"{path} must be a mapping of fields, e.g. `{path}: {{Name: ...}}`");

        public string RequiredString(string key) =>
            OptionalString(key) ?? throw Error(_node, $"{_path}.{key} is required");

        public string? OptionalString(string key)
        {
            if (Value(key) is not { } node)
            {
                return null;
            }

            if (node is not YamlScalarNode scalar || IsNull(scalar))
            {
                throw Error(node, $"{_path}.{key} must be a text value");
            }

            return scalar.Value;
        }

        public void CopyString(JsonObject target, string key)
        {
            if (OptionalString(key) is { } value)
            {
                target[key] = value;
            }
        }

        public void CopyBool(JsonObject target, string key)
        {
            if (Value(key) is not { } node)
            {
                return;
            }

            target[key] = node is YamlScalarNode { Value: { } v } && bool.TryParse(v, out var b)
                ? b
                : throw Error(node, $"{_path}.{key} must be true or false");
        }

        public void CopyInt(JsonObject target, string key)
        {
            if (Value(key) is not { } node)
            {
                return;
            }

            target[key] = node is YamlScalarNode { Value: { } v } && int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i)
                ? i
                : throw Error(node, $"{_path}.{key} must be a whole number");
        }

        // A file reference: the value is a path relative to the config file; the result is the file's text.
        public string RequiredFile(string key)
        {
            var relative = RequiredString(key);
            var node = Value(key)!;
            var full = Path.GetFullPath(Path.Combine(_baseDirectory, relative));
            if (!File.Exists(full))
            {
                throw Error(node, $"{_path}.{key}: file {relative} not found (looked for {full})");
            }

            return File.ReadAllText(full);
        }

        // A path the control plane reads itself: made absolute so it does not depend on anyone's working directory.
        public string? OptionalPath(string key) =>
            OptionalString(key) is { } relative ? Path.GetFullPath(Path.Combine(_baseDirectory, relative)) : null;

        public string RequiredReference(string key) =>
            OptionalReference(key) ?? throw Error(_node, $"{_path}.{key} is required, e.g. `{key}: {{Name: ...}}`");

        // `KubernetesRuntimeInstance: {Name: x}`: a reference to another object by name.
        public string? OptionalReference(string key)
        {
            if (Value(key) is not { } node)
            {
                return null;
            }

            var nested = Of(node, $"{_path}.{key}", _file, _baseDirectory, Line(node));
            var name = nested.RequiredString("Name");
            nested.RejectUnknownKeys();
            return name;
        }

        public void RejectUnsupported(string key)
        {
            if (Key(key) is { } keyNode)
            {
                throw Error(keyNode, $"{_path}.{key} is not supported by this control plane yet; remove it to create the workload without it");
            }
        }

        public void RejectUnknownKeys()
        {
            foreach (var key in _node.Children.Keys)
            {
                var name = (key as YamlScalarNode)?.Value ?? key.ToString();
                if (!_used.Contains(name))
                {
                    var known = string.Join(", ", _used.Order(StringComparer.Ordinal));
                    throw Error(key, $"unknown key {name} in {_path} (known keys here: {known})");
                }
            }
        }

        private YamlNode? Value(string key)
        {
            // Known keys count as used even when absent, so the unknown-key message can list them.
            _used.Add(key);
            return Key(key) is { } k ? _node.Children[k] is YamlScalarNode s && IsNull(s) ? null : _node.Children[k] : null;
        }

        private YamlNode? Key(string key) =>
            _node.Children.Keys.FirstOrDefault(k => k is YamlScalarNode { Value: var v } && v == key);

        private static bool IsNull(YamlScalarNode s) =>
            s.Style == ScalarStyle.Plain && (s.Value is null or "" or "~" or "null" or "Null" or "NULL");

        private ConfigFileException Error(YamlNode node, string message) => new(_file, Line(node), message);
    }
}
