// Package atomicfile writes files so that a reader, or the next start after
// a crash, sees either the old content or the new one, never a mix: the
// bytes go to a temporary file in the same directory, which is synced and
// renamed over the target, and the directory is synced so the rename lasts.
//
// It is shared by everything that persists state under /data: the secret
// file, the users file written back by the admin API, and the users' quota
// usage.
package atomicfile

import (
	"os"
	"path/filepath"
)

// Write replaces path with data, atomically, with mode perm. The directory
// is created (mode 0700) when missing.
func Write(path string, data []byte, perm os.FileMode) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(perm); err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	if d, derr := os.Open(dir); derr == nil { // make the rename durable
		d.Sync()
		d.Close()
	}
	return nil
}
