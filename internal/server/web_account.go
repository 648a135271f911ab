package server

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/ketacare/ketacare"
	"github.com/ketacare/ketacare/internal/auth"
	"github.com/ketacare/ketacare/internal/store"
	"github.com/ketacare/ketacare/internal/web"
)

// userEditPage fills the account page; name, role and clinics come from the
// form when it is shown again with its errors.
func (s *Server) userEditPage(r *http.Request, id int64, form *web.UserEditPage, err error) (web.UserEditPage, error) {
	u, uerr := s.db.User(r.Context(), id)
	if uerr != nil {
		return web.UserEditPage{}, uerr
	}
	if u.Role == ketacare.RolePatient {
		return web.UserEditPage{}, notFoundError("Staff account")
	}
	clinics, cerr := s.db.Clinics(r.Context())
	if cerr != nil {
		return web.UserEditPage{}, cerr
	}
	p := web.UserEditPage{Base: s.base(r, "Account"), Account: u, Name: u.Name, Role: string(u.Role), Mobile: phoneDisplay(u.Mobile), Clinics: clinics,
		InClinic: map[int64]bool{}, Roles: ketacare.Roles}
	for _, c := range u.ClinicIDs {
		p.InClinic[c] = true
	}
	if form != nil {
		p.Name, p.Role, p.Mobile, p.InClinic = form.Name, form.Role, form.Mobile, form.InClinic
	}
	if err != nil {
		p.Errors = web.ErrorSummary{Fields: ketacare.ErrorFields(err)}
		if len(p.Errors.Fields) == 0 {
			p.Errors.Message = ketacare.ErrorMessage(err)
		}
	}
	p.Nav = "users"
	return p, nil
}

func (s *Server) webUserEdit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p, err := s.userEditPage(r, id, nil, nil)
	if err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "admin_user", p)
}

func (s *Server) webUserUpdate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	a := mustActor(r)
	if err := r.ParseForm(); err != nil {
		return ketacare.Errorf(ketacare.EINVALID, "The form could not be read.")
	}
	form := web.UserEditPage{Name: r.PostFormValue("name"), Role: r.PostFormValue("role"), Mobile: r.PostFormValue("mobile"), InClinic: map[int64]bool{}}
	var clinics []int64
	for _, v := range r.PostForm["clinic"] {
		if c, err := strconv.ParseInt(v, 10, 64); err == nil && c > 0 {
			clinics = append(clinics, c)
			form.InClinic[c] = true
		}
	}
	if id == a.UserID && ketacare.Role(form.Role) != ketacare.RoleAdmin {
		err = &ketacare.Error{Code: ketacare.EINVALID, Message: "Some fields need correcting.",
			Fields: map[string]string{"role": "You cannot remove your own admin role; ask another admin."}}
	} else {
		err = s.db.UpdateStaffAccount(r.Context(), a, id, store.StaffAccount{Name: form.Name, Role: ketacare.Role(form.Role), ClinicIDs: clinics, Mobile: form.Mobile})
	}
	if code := ketacare.ErrorCode(err); code == ketacare.EINVALID || code == ketacare.ECONFLICT {
		p, perr := s.userEditPage(r, id, &form, err)
		if perr != nil {
			return perr
		}
		return s.render(w, statusByCode[code], "admin_user", p)
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/users", http.StatusSeeOther)
	return nil
}

func (s *Server) webUserPassword(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	u, err := s.db.User(r.Context(), id)
	if err != nil {
		return err
	}
	password := r.PostFormValue("password")
	err = auth.CheckPassword(password, u.Email)
	if err == nil {
		var hash string
		if hash, err = auth.HashPassword(password); err != nil {
			return err
		}
		err = s.db.SetPassword(r.Context(), mustActor(r), id, hash)
	}
	if ketacare.ErrorCode(err) == ketacare.EINVALID {
		p, perr := s.userEditPage(r, id, nil, err)
		if perr != nil {
			return perr
		}
		return s.render(w, http.StatusBadRequest, "admin_user", p)
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/users/%d", id), http.StatusSeeOther)
	return nil
}
