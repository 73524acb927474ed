"""Policy dialects as self-contained packages (see ``../shared/DESIGN.md``)."""
