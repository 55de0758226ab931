package sqlstore

// StoreErr is the error a Store on drv reports for err with the message msg.
func StoreErr(drv Driver, msg string, err error) error { return (&Store{drv: drv}).storeErr(msg, err) }

// KeepOrphans makes the inserts of s leave the lifecycle records of their
// ids, as before: the baseline of BenchmarkInsertOrphanCheck.
func KeepOrphans(s *Store) { s.keepOrphans = true }
