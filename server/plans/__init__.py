"""Annual joint spot-check plans (Art. 12–13): drafting, approval, publication, adjustment."""
