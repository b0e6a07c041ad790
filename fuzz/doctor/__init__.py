"""Production diagnostics: the doctor's verdict against the Production Hardening specification."""
