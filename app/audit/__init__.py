"""The audit log: who changed what, when, where, through which door, with the YAML before and after."""
