"""Resolving site names (`decoder.layer.3.resid_out`, `decoder.layer.*.resid_out`) to an adapter's SiteSpecs.

Indexed groups are `layer`, `block` (DiT blocks), `down` and `up` (U-Net levels), and a vocoder-style decoder's
`decode`, `ups`, `resblocks`, `F0` and `N` blocks, with an optional kind after the index, possibly dotted
(`denoiser.block.*.out`, `encoder.layer.2.mlp.act`). Unknown names fail with the
site patterns of the model; an index out of range names the valid range.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from tts_interp.core.errors import OutOfRangeError, UnknownNameError
from tts_interp.tracing.spec import SiteSpec

LAYER_SITE = re.compile(r"^(?P<prefix>.+)\.(?P<group>layer|block|down|up|decode|ups|resblocks|F0|N)\.(?P<index>[^.]+)(?:\.(?P<kind>.+))?$")


def _name(prefix: str, group: str, index: object, kind: str | None) -> str:
    return f"{prefix}.{group}.{index}" + (f".{kind}" if kind else "")


def site_patterns(sites: Iterable[str]) -> list[str]:
    """Compress site names into patterns such as `decoder.layer.{0..27}.resid_out`."""
    layered: dict[tuple[str, str, str | None], list[int]] = {}
    plain: list[str] = []
    for name in sites:
        match = LAYER_SITE.match(name)
        if match and match["index"].isdigit():
            layered.setdefault((match["prefix"], match["group"], match["kind"]), []).append(int(match["index"]))
        else:
            plain.append(name)
    patterns = [_name(prefix, group, f"{{{min(ix)}..{max(ix)}}}", kind) for (prefix, group, kind), ix in layered.items()]
    return patterns + plain


def resolve_site(sites: dict[str, SiteSpec], name: str) -> list[SiteSpec]:
    """Resolve one name (a `*` in the layer position means every layer) to site specs, or fail clearly."""
    name = name.strip()
    if name in sites:
        return [sites[name]]
    match = LAYER_SITE.match(name)
    if match:
        prefix, group, index, kind = match["prefix"], match["group"], match["index"], match["kind"]
        layers = sorted(int(m["index"]) for s in sites if (m := LAYER_SITE.match(s)) and m["prefix"] == prefix
                        and m["group"] == group and m["kind"] == kind and m["index"].isdigit())
        if layers:
            if index == "*":
                return [sites[_name(prefix, group, i, kind)] for i in layers]
            if index.lstrip("-").isdigit():
                raise OutOfRangeError(f"{prefix} {group}", int(index), f"0..{layers[-1]}")
    raise UnknownNameError("site", name, site_patterns(sites))


def resolve_sites(sites: dict[str, SiteSpec], names: Iterable[str]) -> list[SiteSpec]:
    """Resolve several names (comma-separated strings allowed), keeping order and dropping repeats."""
    resolved: dict[str, SiteSpec] = {}
    for entry in names:
        for name in str(entry).split(","):
            if name.strip():
                for spec in resolve_site(sites, name):
                    resolved.setdefault(spec.name, spec)
    if not resolved:
        raise UnknownNameError("site", "", site_patterns(sites))
    return list(resolved.values())
