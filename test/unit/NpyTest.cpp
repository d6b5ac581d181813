// .npy round trips and the reader's errors (runtime/io/Npy).
#include "runtime/io/Npy.h"

#include "TestUtil.h"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include <unistd.h>

namespace {

std::string tempPath(const char *name) {
  return std::string(::testing::TempDir()) + "kiln_npy_" +
         std::to_string(getpid()) + "_" + name;
}

TEST(Npy, RoundTripsEveryWritableDtype) {
  for (kiln::DType dtype :
       {kiln::DType::Float32, kiln::DType::Float64, kiln::DType::Int8,
        kiln::DType::Int32, kiln::DType::Int64, kiln::DType::UInt8,
        kiln::DType::Bool, kiln::DType::Float16}) {
    kiln::Tensor t = kiln::Tensor::empty({2, 3}, dtype);
    auto *bytes = static_cast<unsigned char *>(t.data());
    for (size_t i = 0; i < t.nbytes(); ++i)
      bytes[i] = static_cast<unsigned char>(dtype == kiln::DType::Bool ? i % 2
                                                                       : i * 7);
    const std::string path = tempPath("rt.npy");
    kiln::writeNpy(path, t);
    kiln::Tensor back = kiln::readNpy(path);
    EXPECT_EQ(back.dtype(), dtype);
    EXPECT_EQ(back.sizes(), (kiln::IntList{2, 3}));
    EXPECT_EQ(0, std::memcmp(back.data(), t.data(), t.nbytes())) << name(dtype);
    std::remove(path.c_str());
  }
}

TEST(Npy, WritesNonContiguousViewsInLogicalOrder) {
  kiln::Tensor t = kiln::Tensor::empty({2, 3}, kiln::DType::Int32);
  for (int i = 0; i < 6; ++i)
    static_cast<int32_t *>(t.data())[i] = i;
  const std::string path = tempPath("tr.npy");
  kiln::writeNpy(path, t.transpose(0, 1));
  kiln::Tensor back = kiln::readNpy(path);
  ASSERT_EQ(back.sizes(), (kiln::IntList{3, 2}));
  const int32_t expected[] = {0, 3, 1, 4, 2, 5};
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(static_cast<int32_t *>(back.data())[i], expected[i]);
  std::remove(path.c_str());
}

TEST(Npy, ScalarsAndDataAlignment) {
  kiln::Tensor t = kiln::Tensor::empty({}, kiln::DType::Float64);
  *static_cast<double *>(t.data()) = 2.5;
  const std::string path = tempPath("scalar.npy");
  kiln::writeNpy(path, t);
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  // NumPy's rule: the header pads the data offset to a multiple of 64.
  EXPECT_EQ((static_cast<size_t>(in.tellg()) - sizeof(double)) % 64, 0u);
  kiln::Tensor back = kiln::readNpy(path);
  EXPECT_EQ(back.dim(), 0);
  EXPECT_EQ(*static_cast<double *>(back.data()), 2.5);
  std::remove(path.c_str());
}

TEST(Npy, ReportsBadFiles) {
  EXPECT_KILN_ERROR(kiln::readNpy("/nonexistent/x.npy"), kiln::ErrorKind::Value,
                    "cannot open /nonexistent/x.npy");
  const std::string path = tempPath("bad.npy");
  std::ofstream(path) << "not numpy";
  EXPECT_KILN_ERROR(kiln::readNpy(path), kiln::ErrorKind::Value,
                    "is not a .npy file");

  kiln::Tensor t = kiln::Tensor::empty({4}, kiln::DType::Float32);
  kiln::writeNpy(path, t);
  // Cut off the last element: the reader must notice.
  std::ifstream sized(path, std::ios::binary | std::ios::ate);
  const auto size = static_cast<off_t>(sized.tellg());
  ASSERT_EQ(truncate(path.c_str(), size - 4), 0);
  EXPECT_KILN_ERROR(kiln::readNpy(path), kiln::ErrorKind::Value,
                    "truncated data");
  std::remove(path.c_str());
}

} // namespace
