/*
 * media_test.h - what the media unit tests share: a smooth test picture
 * whose content a seed changes (so near-duplicate hashes have something
 * real to compare).
 */
#ifndef CAIRN_TESTS_MEDIA_TEST_H
#define CAIRN_TESTS_MEDIA_TEST_H

#include <vips/vips.h>

/* A w x h 3-band picture; unref it with g_object_unref. */
VipsImage *media_test_picture(int w, int h, int seed);

#endif
