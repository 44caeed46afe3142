"""Study and education (学习教育): campaigns, study records, education bases, secretary training."""
