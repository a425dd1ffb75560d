"""The fusion family (docs/metrics/fusion.md): benchmark numbers reweighted to the task mix a user runs.

Target profiles (:mod:`._profile`), task clusters for strata without categories (:mod:`._clusters`), and the
per-group fusion of every per-run number (:mod:`._fusion`); the estimator itself is
:func:`trajdyn.analyzer.stats.fuse`. Rendering (the report's ``fusion`` block) is in :mod:`trajdyn.analyzer.report`.
"""

from __future__ import annotations

from trajdyn.analyzer.metrics.fusion._clusters import MAX_K, Clustering, choose_k, kmeans, nearest, silhouette
from trajdyn.analyzer.metrics.fusion._fusion import (
    UNCATEGORISED,
    FusionSettings,
    Strata,
    assign_strata,
    fuse_groups,
    fusion_units,
)
from trajdyn.analyzer.metrics.fusion._profile import (
    PROFILE_KINDS,
    ProfileKind,
    TargetProfile,
    load_profile,
    parse_profile,
)

__all__ = [
    "MAX_K",
    "PROFILE_KINDS",
    "UNCATEGORISED",
    "Clustering",
    "FusionSettings",
    "ProfileKind",
    "Strata",
    "TargetProfile",
    "assign_strata",
    "choose_k",
    "fuse_groups",
    "fusion_units",
    "kmeans",
    "load_profile",
    "nearest",
    "parse_profile",
    "silhouette",
]
