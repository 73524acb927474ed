"""policyc: a policy compiler and static linter for AI-agent tool-call firewalls."""

__version__ = "0.1.0"
