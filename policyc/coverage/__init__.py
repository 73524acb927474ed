"""Coverage reports: how far a policy set covers the OWASP Top 10 for Agentic
Applications (2026) and the production checklists of Rampart, the OpenClaw
Production Toolkit and ToolRampart (``docs/coverage.md``).

Catalogs and probes are data (``policyc/coverage/data``); probes are decided
by the compiled bundle runtime; properties of the policy set and deployment
artifacts verify the rest.
"""

from .catalog import DataError, Probe
from .deployment import ArtifactError
from .model import Catalog, Item, ItemResult, Report, Status
from .report import build_report, checklist_names

__all__ = [
    "ArtifactError", "Catalog", "DataError", "Item", "ItemResult", "Probe", "Report", "Status",
    "build_report", "checklist_names",
]
