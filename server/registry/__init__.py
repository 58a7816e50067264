"""Object directory (检查对象名录库): master library, sub-libraries, imports."""
