"""A local Zoho Books server for tests and the demo, faithful to Zoho's documented behaviour (docs/zoho-sandbox.md)."""

from .config import DATA_CENTERS, SandboxConfig
from .oauth import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, sandbox_refresh_token
from .server import ZohoSandbox

__all__ = ["DATA_CENTERS", "SANDBOX_CLIENT_ID", "SANDBOX_CLIENT_SECRET", "SandboxConfig", "ZohoSandbox",
           "sandbox_refresh_token"]
