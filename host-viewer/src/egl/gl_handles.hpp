// Move-only owners of GL object names. Destroy them while their context is
// current (their owners make it current first; see context.hpp).
#pragma once

#include <GLES2/gl2.h>

#include <utility>

namespace vdmabuf::viewer {

// For glDeleteTextures / glDeleteFramebuffers / glDeleteRenderbuffers / glDeleteBuffers.
template <void (*Delete)(GLsizei, const GLuint*)> class GlNames {
public:
    GlNames() noexcept = default;
    explicit GlNames(GLuint name) noexcept : name_(name) {}
    ~GlNames() { reset(); }
    GlNames(const GlNames&) = delete;
    GlNames& operator=(const GlNames&) = delete;
    GlNames(GlNames&& o) noexcept : name_(std::exchange(o.name_, 0)) {}
    GlNames& operator=(GlNames&& o) noexcept {
        if (this != &o) {
            reset();
            name_ = std::exchange(o.name_, 0);
        }
        return *this;
    }
    [[nodiscard]] GLuint get() const noexcept { return name_; }
    explicit operator bool() const noexcept { return name_ != 0; }
    void reset() noexcept {
        if (name_)
            Delete(1, &name_);
        name_ = 0;
    }

private:
    GLuint name_ = 0;
};

// For glDeleteProgram / glDeleteShader.
template <void (*Delete)(GLuint)> class GlName {
public:
    GlName() noexcept = default;
    explicit GlName(GLuint name) noexcept : name_(name) {}
    ~GlName() {
        if (name_)
            Delete(name_);
    }
    GlName(const GlName&) = delete;
    GlName& operator=(const GlName&) = delete;
    GlName(GlName&& o) noexcept : name_(std::exchange(o.name_, 0)) {}
    GlName& operator=(GlName&& o) noexcept {
        std::swap(name_, o.name_);
        return *this;
    }
    [[nodiscard]] GLuint get() const noexcept { return name_; }
    explicit operator bool() const noexcept { return name_ != 0; }

private:
    GLuint name_ = 0;
};

using GlTexture = GlNames<&glDeleteTextures>;
using GlFramebuffer = GlNames<&glDeleteFramebuffers>;
using GlRenderbuffer = GlNames<&glDeleteRenderbuffers>;
using GlProgram = GlName<&glDeleteProgram>;
using GlShader = GlName<&glDeleteShader>;

[[nodiscard]] inline GlTexture make_texture() {
    GLuint t = 0;
    glGenTextures(1, &t);
    return GlTexture(t);
}

} // namespace vdmabuf::viewer
