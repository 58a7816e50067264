"""Check-item lists (随机抽查事项清单) with versioned working guides."""
