// EXPECT_KILN_ERROR: a call throws kiln::Error of a kind naming the op.
#pragma once

#include "runtime/core/Error.h"

#include <gtest/gtest.h>

#include <string>

// Runs `stmt`, expecting a kiln::Error of `errorKind` whose message contains
// `text`.
#define EXPECT_KILN_ERROR(stmt, errorKind, text)                               \
  do {                                                                         \
    try {                                                                      \
      stmt;                                                                    \
      ADD_FAILURE() << "expected kiln::Error from " #stmt;                     \
    } catch (const kiln::Error &e) {                                           \
      EXPECT_EQ(e.kind(), errorKind) << e.what();                              \
      EXPECT_NE(std::string(e.what()).find(text), std::string::npos)           \
          << "message '" << e.what() << "' lacks '" << text << "'";            \
    }                                                                          \
  } while (false)
