"""Operations: backup, verification of a backup, restore (see README "Operating it")."""
