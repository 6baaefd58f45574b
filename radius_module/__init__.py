"""The hot path inside FreeRADIUS (rlm_python3)."""
