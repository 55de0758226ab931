package sqlstore

// StoreErr is the error a Store on drv reports for err with the message msg.
func StoreErr(drv Driver, msg string, err error) error { return (&Store{drv: drv}).storeErr(msg, err) }
