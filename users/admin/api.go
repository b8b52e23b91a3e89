package admin

import (
	"errors"
	"io"
	"net/http"
	"slices"

	"github.com/mtproxy/mtproxy/users"
)

// errNotFound and errStatic are the edit errors with their own status.
var (
	errNotFound = errors.New("no such user")
	errStatic   = errors.New("this user comes from SECRET in the environment and cannot be changed here")
	errExists   = errors.New("a user of that name exists")
)

func (h *Handler) listUsers(w http.ResponseWriter, r *http.Request) {
	all := h.o.Registry.Users()
	out := make([]userJSON, len(all))
	for i, st := range all {
		out[i] = toJSON(st)
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": out})
}

func (h *Handler) getUser(w http.ResponseWriter, r *http.Request) {
	st, ok := h.o.Registry.User(r.PathValue("name"))
	if !ok {
		writeError(w, http.StatusNotFound, errNotFound.Error())
		return
	}
	writeJSON(w, http.StatusOK, toJSON(st))
}

// newKey returns a random secret.
func (h *Handler) newKey() ([16]byte, error) {
	var k [16]byte
	_, err := io.ReadFull(h.o.Rand, k[:])
	return k, err
}

// create adds a user (a random secret unless s has one).
func (h *Handler) create(s users.Spec) (users.Spec, error) {
	if s.Key == ([16]byte{}) {
		k, err := h.newKey()
		if err != nil {
			return s, err
		}
		s.Key = k
	}
	err := h.o.Manager.Update(func(file []users.Spec) ([]users.Spec, error) {
		for _, st := range h.o.Registry.Specs() {
			if st.Name == s.Name {
				return nil, errExists
			}
		}
		return append(file, s), nil
	})
	return s, err
}

// edit changes the file user name with f.
func (h *Handler) edit(name string, f func(*users.Spec) error) error {
	return h.o.Manager.Update(func(file []users.Spec) ([]users.Spec, error) {
		i := slices.IndexFunc(file, func(s users.Spec) bool { return s.Name == name })
		if i < 0 {
			if slices.ContainsFunc(h.o.Registry.Specs(), func(s users.Spec) bool { return s.Name == name }) {
				return nil, errStatic
			}
			return nil, errNotFound
		}
		if err := f(&file[i]); err != nil {
			return nil, err
		}
		return file, nil
	})
}

func (h *Handler) remove(name string) error {
	return h.o.Manager.Update(func(file []users.Spec) ([]users.Spec, error) {
		i := slices.IndexFunc(file, func(s users.Spec) bool { return s.Name == name })
		if i < 0 {
			if slices.ContainsFunc(h.o.Registry.Specs(), func(s users.Spec) bool { return s.Name == name }) {
				return nil, errStatic
			}
			return nil, errNotFound
		}
		return slices.Delete(file, i, i+1), nil
	})
}

func (h *Handler) rotate(name string) error {
	k, err := h.newKey()
	if err != nil {
		return err
	}
	return h.edit(name, func(s *users.Spec) error { s.Key = k; return nil })
}

// editStatus maps an edit error to its HTTP status.
func editStatus(err error) int {
	switch {
	case errors.Is(err, errNotFound):
		return http.StatusNotFound
	case errors.Is(err, errStatic), errors.Is(err, errExists):
		return http.StatusConflict
	case errors.Is(err, users.ErrInvalid), errors.Is(err, users.ErrSize):
		return http.StatusBadRequest
	case errors.Is(err, users.ErrNoFile), errors.Is(err, users.ErrReadOnly):
		return http.StatusConflict
	}
	return http.StatusInternalServerError
}

func (h *Handler) replyUser(w http.ResponseWriter, status int, name string) {
	st, ok := h.o.Registry.User(name)
	if !ok {
		writeError(w, http.StatusInternalServerError, "the user vanished")
		return
	}
	writeJSON(w, status, toJSON(st))
}

func (h *Handler) createUser(w http.ResponseWriter, r *http.Request) {
	m, err := decodeFields(r, append([]string{"name"}, editable...)...)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	s := users.Spec{Enabled: true}
	if err := applyFields(&s, m); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if _, err := h.create(s); err != nil {
		writeError(w, editStatus(err), err.Error())
		return
	}
	w.Header().Set("Location", "/api/v1/users/"+s.Name)
	h.replyUser(w, http.StatusCreated, s.Name)
}

func (h *Handler) patchUser(w http.ResponseWriter, r *http.Request) {
	m, err := decodeFields(r, editable...)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	name := r.PathValue("name")
	if err := h.edit(name, func(s *users.Spec) error { return applyFields(s, m) }); err != nil {
		status := editStatus(err)
		if status == http.StatusInternalServerError && !errors.Is(err, users.ErrNoFile) {
			status = http.StatusBadRequest // a field that did not apply
		}
		writeError(w, status, err.Error())
		return
	}
	h.replyUser(w, http.StatusOK, name)
}

func (h *Handler) deleteUser(w http.ResponseWriter, r *http.Request) {
	if err := h.remove(r.PathValue("name")); err != nil {
		writeError(w, editStatus(err), err.Error())
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) rotateUser(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if err := h.rotate(name); err != nil {
		writeError(w, editStatus(err), err.Error())
		return
	}
	h.replyUser(w, http.StatusOK, name)
}

func (h *Handler) resetQuota(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if !h.o.Registry.ResetQuota(name) {
		writeError(w, http.StatusNotFound, errNotFound.Error())
		return
	}
	h.replyUser(w, http.StatusOK, name)
}

type linkJSON struct {
	Form   string `json:"form"`
	Secret string `json:"secret"`
	TG     string `json:"tg"`
	TMe    string `json:"tme"`
}

func (h *Handler) linksJSON(key [16]byte) []linkJSON {
	var out []linkJSON
	for _, l := range h.links(key) {
		out = append(out, linkJSON{Form: string(l.Form), Secret: l.Secret, TG: l.TG, TMe: l.TMe})
	}
	return out
}

func (h *Handler) userLinks(w http.ResponseWriter, r *http.Request) {
	st, ok := h.o.Registry.User(r.PathValue("name"))
	if !ok {
		writeError(w, http.StatusNotFound, errNotFound.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"name": st.Name, "links": h.linksJSON(st.Key)})
}
