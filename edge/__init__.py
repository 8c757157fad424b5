"""Running Parley on an edge device: satellite mode, device profiles, calibration, service install."""
