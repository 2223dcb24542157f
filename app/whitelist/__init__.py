"""The Quota Center: whitelist applications, their decisions, and the gating rule for console writes."""
