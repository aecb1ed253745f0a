/** @file carm.h @brief All of carm's public API. */
#ifndef CARM_CARM_H
#define CARM_CARM_H
#include "carm/core.h"
#include "carm/geometry.h"
#include "carm/io.h"
#include "carm/project.h"
#include "carm/phantom.h"
#include "carm/recon.h"
#include "carm/twin.h"
#include "carm/render.h"
#include "carm/server.h"
#include "carm/plan.h"
#include "carm/clinical.h"
#include "carm/board.h"
#include "carm/seg.h"
#include "carm/vessels.h"
#endif
