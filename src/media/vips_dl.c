/*
 * vips_dl.c - loads libvips on first use (see vips_dl.h for why).
 */
#define VIPS_DL_IMPL
#include "media/vips_dl.h"

#include <dlfcn.h>
#include <pthread.h>

#include "base/err.h"
#include "base/banned.h"

struct vips_dl vips_dl;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char reason[256];

/* The soname of the libvips the headers belong to (8.x: 42), then any. */
static const char *const names[] = {"libvips.so.42", "libvips.so"};

static void load(void)
{
	void *h = NULL;
	for (size_t i = 0; !h && i < sizeof(names) / sizeof(names[0]); i++)
		h = dlopen(names[i], RTLD_NOW | RTLD_GLOBAL);
	if (!h) {
		const char *e = dlerror();
		snprintf(reason, sizeof(reason), "cannot load libvips: %s", e ? e : "not found");
		return;
	}
#define VIPS_DL_RESOLVE(f)                                                                 \
	if (!reason[0] && !(*(void **)&vips_dl.f = dlsym(h, #f)))                           \
		snprintf(reason, sizeof(reason), "libvips lacks %s", #f);
	VIPS_DL_FUNCS(VIPS_DL_RESOLVE)
#undef VIPS_DL_RESOLVE
	/* The handle stays open for the life of the process. */
}

int vips_dl_open(struct buf *err)
{
	pthread_once(&once, load);
	if (reason[0]) {
		if (err)
			buf_setf(err, "image: %s", reason);
		return CAIRN_EINTERNAL;
	}
	return 0;
}
