/*
 * vips_dl.h - libvips, loaded when first needed rather than at start-up.
 *
 * libvips pulls in about a hundred shared libraries (codecs, poppler,
 * OpenEXR, HDF5 ...), which cost a process most of its start-up time
 * whether or not it touches an image. So the binary does not link it:
 * vips_dl_open() dlopen()s it on first use, and the files that call
 * libvips include this header after <vips/vips.h>, which turns each call
 * below into a call through the loaded table (same names, same types).
 * GLib and GObject stay linked (small, and g_object_unref is everywhere).
 *
 * Add a function to both lists when a file starts calling it.
 */
#ifndef CAIRN_VIPS_DL_H
#define CAIRN_VIPS_DL_H

#include <vips/vips.h>

#include "base/buf.h"

#define VIPS_DL_FUNCS(X) \
	X(vips_area_unref) \
	X(vips_array_double_newv) \
	X(vips_cache_set_max) \
	X(vips_cache_set_max_mem) \
	X(vips_cast) \
	X(vips_cast_uchar) \
	X(vips_colourspace) \
	X(vips_concurrency_set) \
	X(vips_crop) \
	X(vips_dzsave) \
	X(vips_error_buffer) \
	X(vips_error_buffer_copy) \
	X(vips_error_clear) \
	X(vips_flatten) \
	X(vips_gifload_buffer) \
	X(vips_image_copy_memory) \
	X(vips_image_get_bands) \
	X(vips_image_get_format) \
	X(vips_image_get_height) \
	X(vips_image_get_interpretation) \
	X(vips_image_get_width) \
	X(vips_image_hasalpha) \
	X(vips_image_new_from_buffer) \
	X(vips_image_new_from_file) \
	X(vips_image_new_from_memory) \
	X(vips_jpegload_buffer) \
	X(vips_jpegsave) \
	X(vips_jpegsave_buffer) \
	X(vips_pngload_buffer) \
	X(vips_pngsave) \
	X(vips_pngsave_buffer) \
	X(vips_region_new) \
	X(vips_region_prepare) \
	X(vips_shutdown) \
	X(vips_thumbnail) \
	X(vips_thumbnail_image) \
	X(vips_tiffload_buffer) \
	X(vips_webpload_buffer) \
	X(vips_version) \
	X(vips_init) \
	X(vips_error) \
	X(vips_format_sizeof_unsafe) \

struct vips_dl {
#define VIPS_DL_MEMBER(f) __typeof__(f) *f;
	VIPS_DL_FUNCS(VIPS_DL_MEMBER)
#undef VIPS_DL_MEMBER
};
extern struct vips_dl vips_dl;

/*
 * Loads libvips and resolves the table, once per process (thread-safe).
 * Returns 0, or CAIRN_EINTERNAL with the loader's reason in err.
 */
int vips_dl_open(struct buf *err);

#ifndef VIPS_DL_IMPL
#define vips_area_unref (*vips_dl.vips_area_unref)
#define vips_array_double_newv (*vips_dl.vips_array_double_newv)
#define vips_cache_set_max (*vips_dl.vips_cache_set_max)
#define vips_cache_set_max_mem (*vips_dl.vips_cache_set_max_mem)
#define vips_cast (*vips_dl.vips_cast)
#define vips_cast_uchar (*vips_dl.vips_cast_uchar)
#define vips_colourspace (*vips_dl.vips_colourspace)
#define vips_concurrency_set (*vips_dl.vips_concurrency_set)
#define vips_crop (*vips_dl.vips_crop)
#define vips_dzsave (*vips_dl.vips_dzsave)
#define vips_error_buffer (*vips_dl.vips_error_buffer)
#define vips_error_buffer_copy (*vips_dl.vips_error_buffer_copy)
#define vips_error_clear (*vips_dl.vips_error_clear)
#define vips_flatten (*vips_dl.vips_flatten)
#define vips_gifload_buffer (*vips_dl.vips_gifload_buffer)
#define vips_image_copy_memory (*vips_dl.vips_image_copy_memory)
#define vips_image_get_bands (*vips_dl.vips_image_get_bands)
#define vips_image_get_format (*vips_dl.vips_image_get_format)
#define vips_image_get_height (*vips_dl.vips_image_get_height)
#define vips_image_get_interpretation (*vips_dl.vips_image_get_interpretation)
#define vips_image_get_width (*vips_dl.vips_image_get_width)
#define vips_image_hasalpha (*vips_dl.vips_image_hasalpha)
#define vips_image_new_from_buffer (*vips_dl.vips_image_new_from_buffer)
#define vips_image_new_from_file (*vips_dl.vips_image_new_from_file)
#define vips_image_new_from_memory (*vips_dl.vips_image_new_from_memory)
#define vips_jpegload_buffer (*vips_dl.vips_jpegload_buffer)
#define vips_jpegsave (*vips_dl.vips_jpegsave)
#define vips_jpegsave_buffer (*vips_dl.vips_jpegsave_buffer)
#define vips_pngload_buffer (*vips_dl.vips_pngload_buffer)
#define vips_pngsave (*vips_dl.vips_pngsave)
#define vips_pngsave_buffer (*vips_dl.vips_pngsave_buffer)
#define vips_region_new (*vips_dl.vips_region_new)
#define vips_region_prepare (*vips_dl.vips_region_prepare)
#define vips_shutdown (*vips_dl.vips_shutdown)
#define vips_thumbnail (*vips_dl.vips_thumbnail)
#define vips_thumbnail_image (*vips_dl.vips_thumbnail_image)
#define vips_tiffload_buffer (*vips_dl.vips_tiffload_buffer)
#define vips_webpload_buffer (*vips_dl.vips_webpload_buffer)
#define vips_version (*vips_dl.vips_version)
#define vips_init (*vips_dl.vips_init)
#define vips_error (*vips_dl.vips_error)
#define vips_format_sizeof_unsafe (*vips_dl.vips_format_sizeof_unsafe)
#endif

#endif
