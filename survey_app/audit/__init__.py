"""The audit log: who changed what, when (``record`` from any feature)."""
