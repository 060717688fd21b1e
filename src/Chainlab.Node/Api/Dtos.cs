using Chainlab.Core.Model;
using Chainlab.Node.Storage;

namespace Chainlab.Node.Api;

/// <summary>The wire records (Chainlab.Client.Models) made from the node's own types.</summary>
public static class Dtos
{
    public static ReceiptDto Receipt(Receipt r) => r.Contract is not { } c
        ? new(r.Success, r.FeePaid, r.Error)
        : new(r.Success, r.FeePaid, r.Error, c.GasUsed, ContractEndpoints.ValueJson(c.ReturnValue),
            c.Events.Select(e => new ReceiptEventDto(e.Contract.ToString(), e.Name, ContractEndpoints.ValueJson(e.Value))).ToList(),
            c.Created?.ToString());

    public static StoredFileDto StoredFile(StoredFile f) => new(f.Cid.ToString(), f.Size, f.Name, f.MediaType, f.AddedMs, f.ExpiresMs);

    public static FileAnchorDto Anchor(FileAnchor a) => new(a.Height, a.TxHash.ToString(), a.AnchoredBy.ToString(), FileRefDto.Of(a.Ref));
}
