package filestore

// KeepOrphans makes the inserts of s leave the lifecycle records of their
// ids, as before dropOrphans: the baseline of BenchmarkInsertOrphanCheck.
func KeepOrphans(s *Store) { s.keepOrphans = true }
