// What vdmabufd gives up once its sockets listen (docs/security.md): the
// socket directories must be private, root's capabilities are dropped, no new
// privileges can be gained, and a seccomp allow-list limits it to the system
// calls its event loop makes.
#pragma once

#include <string>

namespace vdmabuf::backend {

// False (logged) if the directory of a socket is writable by group or others
// (anyone could replace or hijack the socket) or owned by another user.
[[nodiscard]] bool check_socket_dir(const std::string& socket_path);

// Drops every capability when running as root (logged once).
[[nodiscard]] bool drop_capabilities();

// PR_SET_NO_NEW_PRIVS, then (seccomp true) the allow-list filter. A system
// call outside it ends the process with a log line naming its number.
// False (logged) if either could not be set up.
[[nodiscard]] bool enter_sandbox(bool seccomp);

} // namespace vdmabuf::backend
