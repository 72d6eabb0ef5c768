namespace Nimmerverse.Protocol;

/// <summary>The cluster roles a supervisor can take; each decides which actors run on that member.</summary>
public static class ClusterRoles
{
    public const string Cells = "cells";
    public const string Nerves = "nerves";
    public const string Thalamus = "thalamus";
    public const string Governor = "governor";
    public const string World = "world";
    public const string NpcHost = "npc-host";
    public const string Cortex = "cortex";
    public const string Organs = "organs";

    public static readonly IReadOnlyList<string> All = [Cells, Nerves, Thalamus, Governor, World, NpcHost, Cortex, Organs];

    /// <summary>
    /// The role every member takes besides its configured ones, so that others find it by its host
    /// name (the governor sends a host's CPU quotas to that member's NPC host). A host name is
    /// lower-case letters, digits and '-', so the role needs no quoting in the cluster's HOCON.
    /// </summary>
    public static string OfHost(string hostName) => HostPrefix + hostName;

    /// <summary>The host a role of <see cref="OfHost"/> names, or null for any other role.</summary>
    public static string? HostIn(string role) => role.StartsWith(HostPrefix, StringComparison.Ordinal) ? role[HostPrefix.Length..] : null;

    private const string HostPrefix = "host-";
}
