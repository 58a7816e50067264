"""The on-site record of a visit: answers, findings, outcomes, signatures, seal (Art. 19–21)."""
