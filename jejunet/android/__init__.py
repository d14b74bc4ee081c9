"""The Android bridge: bundle compiler, capability list, parity fixtures and the phone's cost model."""
