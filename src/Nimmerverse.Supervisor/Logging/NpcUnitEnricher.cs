using Nimmerverse.Actors.Npc;
using Serilog.Core;
using Serilog.Events;

namespace Nimmerverse.Supervisor.Logging;

/// <summary>
/// Every line about an NPC (a <c>NpcId</c> property) also names its scope: <c>Unit</c>, the
/// journal's <c>UNIT</c> field, so <c>journalctl -u nimmerverse UNIT=nimmerverse-npc-7.scope</c>
/// finds the supervisor's side of that scope's life.
/// </summary>
public sealed class NpcUnitEnricher : ILogEventEnricher
{
    public void Enrich(LogEvent logEvent, ILogEventPropertyFactory propertyFactory)
    {
        if (!logEvent.Properties.ContainsKey("Unit")
            && logEvent.Properties.TryGetValue("NpcId", out var value)
            && value is ScalarValue { Value: int id and >= 0 and <= NpcScopeName.MaxId })
        {
            logEvent.AddPropertyIfAbsent(propertyFactory.CreateProperty("Unit", NpcScopeName.For(id).Value));
        }
    }
}
