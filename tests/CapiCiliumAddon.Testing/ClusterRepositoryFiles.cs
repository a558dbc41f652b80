namespace CapiCiliumAddon.Testing;

/// <summary>
/// Cluster API files shaped like the ones people keep in a GitOps repository (after the templates `clusterctl
/// generate cluster` prints for Cluster API Provider Metal3): the Cluster carries no endpoint, its Metal3Cluster does,
/// and the KubeadmControlPlane sits in the same multi-document file. Hosts are 10.x/192.168.x and ports 6443, like
/// the recorded Cilium runs the fake CLI replays.
/// </summary>
public static class ClusterRepositoryFiles
{
    /// <summary>A v1beta2 Metal3 workload cluster in one file: Cluster (no endpoint), Metal3Cluster, KubeadmControlPlane.</summary>
    public static string Metal3V1Beta2(string name = "site-a", string ns = "metal3", string host = "192.168.111.249",
        string pods = "10.244.0.0/16", string selectorLabel = "<name>", string clusterExtraSpec = "") => $"""
        # Workload cluster {name}: generated once with clusterctl, then edited by hand.
        apiVersion: cluster.x-k8s.io/v1beta2
        kind: Cluster
        metadata:
          name: {name}
          namespace: {ns}
          labels:
            cni: cilium
        {SelectorLabelLine(name, selectorLabel)}spec:
          clusterNetwork:
            pods:
              cidrBlocks:
              - {pods}
            services:
              cidrBlocks:
              - 10.96.0.0/12
            serviceDomain: cluster.local
          controlPlaneRef:
            apiGroup: controlplane.cluster.x-k8s.io
            kind: KubeadmControlPlane
            name: {name}
          infrastructureRef:
            apiGroup: infrastructure.cluster.x-k8s.io
            kind: Metal3Cluster
            name: {name}
        {clusterExtraSpec}---
        apiVersion: infrastructure.cluster.x-k8s.io/v1beta1
        kind: Metal3Cluster
        metadata:
          name: {name}
          namespace: {ns}
        spec:
          controlPlaneEndpoint:
            host: {host}
            port: 6443
          cloudProviderEnabled: false
        ---
        apiVersion: controlplane.cluster.x-k8s.io/v1beta2
        kind: KubeadmControlPlane
        metadata:
          name: {name}
          namespace: {ns}
        spec:
          replicas: 3
          version: v1.33.1
          machineTemplate:
            spec:
              infrastructureRef:
                apiGroup: infrastructure.cluster.x-k8s.io
                kind: Metal3MachineTemplate
                name: {name}-controlplane
          kubeadmConfigSpec:
            initConfiguration:
              nodeRegistration:
                name: {HostNameTemplate}
            joinConfiguration:
              nodeRegistration:
                name: {HostNameTemplate}

        """;

    /// <summary>
    /// The same cluster through the deprecated v1beta1 API: refs carry apiVersion, and clusterctl's templates add the
    /// namespace to them (<paramref name="refNamespace"/>: null leaves it out, as hand-written files often do).
    /// </summary>
    public static string Metal3V1Beta1(string name = "site-b", string ns = "metal3", string host = "192.168.111.250",
        string? refNamespace = "<ns>", string pods = "10.245.0.0/16", string metal3ClusterNamespace = "<ns>") => $"""
        apiVersion: cluster.x-k8s.io/v1beta1
        kind: Cluster
        metadata:
          name: {name}
          namespace: {ns}
          labels:
            cni: cilium
            addon.capi-cilium.io/cluster-name: {name}
        spec:
          clusterNetwork:
            pods:
              cidrBlocks: ["{pods}"]
            services:
              cidrBlocks: ["10.96.0.0/12"]
          controlPlaneRef:
            apiVersion: controlplane.cluster.x-k8s.io/v1beta1
            kind: KubeadmControlPlane
            name: {name}
        {(refNamespace is null ? "" : $"    namespace: {refNamespace.Replace("<ns>", ns, StringComparison.Ordinal)}\n")}  infrastructureRef:
            apiVersion: infrastructure.cluster.x-k8s.io/v1beta1
            kind: Metal3Cluster
            name: {name}
        {(refNamespace is null ? "" : $"    namespace: {refNamespace.Replace("<ns>", ns, StringComparison.Ordinal)}\n")}---
        apiVersion: infrastructure.cluster.x-k8s.io/v1beta1
        kind: Metal3Cluster
        metadata:
          name: {name}
          namespace: {metal3ClusterNamespace.Replace("<ns>", ns, StringComparison.Ordinal)}
        spec:
          controlPlaneEndpoint:
            host: {host}
            port: 6443
          noCloudProvider: true
        ---
        apiVersion: controlplane.cluster.x-k8s.io/v1beta1
        kind: KubeadmControlPlane
        metadata:
          name: {name}
          namespace: {ns}
        spec:
          replicas: 1
          version: v1.32.4
          machineTemplate:
            infrastructureRef:
              apiVersion: infrastructure.cluster.x-k8s.io/v1beta1
              kind: Metal3MachineTemplate
              name: {name}-controlplane
          kubeadmConfigSpec: {EmptyMap}

        """;

    /// <summary>
    /// A ClusterClass Cluster (v1beta2 topology: classRef, controlPlane, workers, variables) whose endpoint is the
    /// <paramref name="variable"/> variable, as Cluster API Provider Metal3's class declares it ({host, port}).
    /// </summary>
    public static string Metal3Topology(string name = "site-c", string ns = "metal3", string host = "192.168.111.251",
        string variable = "controlPlaneEndpoint", string pods = "10.246.0.0/16", string extraMetadata = "") => $"""
        apiVersion: cluster.x-k8s.io/v1beta2
        kind: Cluster
        metadata:
          name: {name}
          namespace: {ns}
          labels:
            cni: cilium
            addon.capi-cilium.io/cluster-name: {name}
        {extraMetadata}spec:
          clusterNetwork:
            pods:
              cidrBlocks: ["{pods}"]
            services:
              cidrBlocks: ["10.96.0.0/12"]
          topology:
            classRef:
              name: metal3
            version: v1.33.1
            controlPlane:
              replicas: 3
            workers:
              machineDeployments:
              - class: worker
                name: md-0
                replicas: 2
            variables:
            - name: image
              value:
                url: http://172.22.0.1/images/UBUNTU_24.04_NODE_IMAGE_K8S_v1.33.1-raw.img
                checksum: http://172.22.0.1/images/UBUNTU_24.04_NODE_IMAGE_K8S_v1.33.1-raw.img.sha256sum
                checksumType: sha256
                format: raw
            - name: {variable}
              value:
                host: {host}
                port: 6443

        """;

    /// <summary>Metal3's metadata template syntax, which the files carry verbatim.</summary>
    private const string HostNameTemplate = "'{{ ds.meta_data.name }}'";

    private const string EmptyMap = "{}";

    private static string SelectorLabelLine(string name, string selectorLabel) =>
        selectorLabel.Length == 0 ? "" : $"    addon.capi-cilium.io/cluster-name: {selectorLabel.Replace("<name>", name, StringComparison.Ordinal)}\n";
}
