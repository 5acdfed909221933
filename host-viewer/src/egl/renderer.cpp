#define VDM_LOG_SCOPE "gl"
#include "egl/renderer.hpp"

#include <vdmabuf/shared/log.hpp>

#include <algorithm>

namespace vdmabuf::viewer {
namespace {

// pos is the unit quad; uv follows it, so uv (0,0) is the texture's row 0.
constexpr const char* kVertex = R"(
attribute vec2 pos;
uniform vec4 dst; // NDC: x0, y0 (row 0 edge), x1, y1
varying vec2 uv;
void main() {
    uv = pos;
    gl_Position = vec4(mix(dst.xy, dst.zw, pos), 0.0, 1.0);
}
)";

// highp where available: mediump texture coordinates are not exact at 4K.
constexpr const char* kFragment = R"(
#ifdef GL_FRAGMENT_PRECISION_HIGH
precision highp float;
#else
precision mediump float;
#endif
uniform sampler2D tex;
uniform float dim;
uniform float opaque;
varying vec2 uv;
void main() {
    vec4 c = texture2D(tex, uv);
    gl_FragColor = vec4(c.rgb * dim, max(c.a, opaque));
}
)";

GlShader compile(GLenum type, const char* src) {
    GlShader s(glCreateShader(type));
    glShaderSource(s.get(), 1, &src, nullptr);
    glCompileShader(s.get());
    GLint ok = 0;
    glGetShaderiv(s.get(), GL_COMPILE_STATUS, &ok);
    if (!ok) {
        char log[512] = {};
        glGetShaderInfoLog(s.get(), sizeof log, nullptr, log);
        VDM_ERROR("glCompileShader failed: %s", log);
        return {};
    }
    return s;
}

} // namespace

std::unique_ptr<Renderer> Renderer::create() {
    GlShader vs = compile(GL_VERTEX_SHADER, kVertex);
    GlShader fs = compile(GL_FRAGMENT_SHADER, kFragment);
    if (!vs || !fs)
        return nullptr;
    auto r = std::make_unique<Renderer>();
    r->program_ = GlProgram(glCreateProgram());
    GLuint p = r->program_.get();
    glAttachShader(p, vs.get());
    glAttachShader(p, fs.get());
    glBindAttribLocation(p, 0, "pos");
    glLinkProgram(p);
    GLint ok = 0;
    glGetProgramiv(p, GL_LINK_STATUS, &ok);
    if (!ok) {
        char log[512] = {};
        glGetProgramInfoLog(p, sizeof log, nullptr, log);
        VDM_ERROR("glLinkProgram failed: %s", log);
        return nullptr;
    }
    r->u_dst_ = glGetUniformLocation(p, "dst");
    r->u_tex_ = glGetUniformLocation(p, "tex");
    r->u_dim_ = glGetUniformLocation(p, "dim");
    r->u_opaque_ = glGetUniformLocation(p, "opaque");
    return r;
}

Renderer::Rect Renderer::fit(uint32_t tw, uint32_t th, uint32_t vw, uint32_t vh) {
    if (!tw || !th || !vw || !vh)
        return {0, 0, int(vw), int(vh)};
    // Compare tw/th with vw/vh without floating point: the limiting side wins.
    uint64_t w = vw, h = vh;
    if (uint64_t(tw) * vh > uint64_t(th) * vw)
        h = std::max<uint64_t>(1, uint64_t(th) * vw / tw);
    else
        w = std::max<uint64_t>(1, uint64_t(tw) * vh / th);
    return {int((vw - w) / 2), int((vh - h) / 2), int(w), int(h)};
}

void Renderer::draw(const DrawParams& p) const {
    glViewport(0, 0, GLsizei(p.target_width), GLsizei(p.target_height));
    glDisable(GL_BLEND);
    glClearColor(0, 0, 0, 1);
    glClear(GL_COLOR_BUFFER_BIT);
    if (!p.texture)
        return;
    Rect r = fit(p.tex_width, p.tex_height, p.target_width, p.target_height);
    // Nearest at 1:1 keeps pixels exact; linear when scaled reads better.
    bool exact = uint32_t(r.w) == p.tex_width && uint32_t(r.h) == p.tex_height;
    quad(p.texture, r, p.target_width, p.target_height, p.flip_y, p.opaque, p.dim,
         exact ? GL_NEAREST : GL_LINEAR);
}

void Renderer::draw_overlay(GLuint texture, Rect dst, uint32_t target_width,
                            uint32_t target_height, bool flip_y) const {
    glViewport(0, 0, GLsizei(target_width), GLsizei(target_height));
    glEnable(GL_BLEND);
    glBlendFunc(GL_ONE, GL_ONE_MINUS_SRC_ALPHA); // premultiplied
    quad(texture, dst, target_width, target_height, flip_y, false, 1.0f, GL_NEAREST);
    glDisable(GL_BLEND);
}

void Renderer::quad(GLuint texture, Rect r, uint32_t target_width, uint32_t target_height,
                    bool flip_y, bool opaque, float dim, GLint filter) const {
    auto ndc_x = [&](int x) { return 2.0f * float(x) / float(target_width) - 1.0f; };
    auto ndc_y = [&](int y) { return 2.0f * float(y) / float(target_height) - 1.0f; };
    float x0 = ndc_x(r.x), x1 = ndc_x(r.x + r.w);
    float y0 = ndc_y(r.y), y1 = ndc_y(r.y + r.h);
    if (flip_y) {
        // Window framebuffers are y-up: mirror the rectangle, then the texture.
        y0 = -y0;
        y1 = -y1;
    }
    static const GLfloat kQuad[] = {0, 0, 1, 0, 0, 1, 1, 1};
    glUseProgram(program_.get());
    glUniform4f(u_dst_, x0, y0, x1, y1);
    glUniform1i(u_tex_, 0);
    glUniform1f(u_dim_, dim);
    glUniform1f(u_opaque_, opaque ? 1.0f : 0.0f);
    glActiveTexture(GL_TEXTURE0);
    glBindTexture(GL_TEXTURE_2D, texture);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, filter);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, filter);
    glBindBuffer(GL_ARRAY_BUFFER, 0);
    glVertexAttribPointer(0, 2, GL_FLOAT, GL_FALSE, 0, kQuad);
    glEnableVertexAttribArray(0);
    glDrawArrays(GL_TRIANGLE_STRIP, 0, 4);
    glDisableVertexAttribArray(0);
}

} // namespace vdmabuf::viewer
