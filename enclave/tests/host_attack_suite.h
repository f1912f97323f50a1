// The HostAttack suite spans several files (membership, sealed state, the runtime), each with its
// own scene. GoogleTest allows one fixture class per suite, so a file's HostAttack tests are plain
// TESTs whose body runs as a member function of a fresh instance of that file's scene: the body
// reads the scene's members and helpers as a TEST_F body reads its fixture's.
#pragma once

#include <gtest/gtest.h>

#define ANONIFY_HOST_ATTACK_TEST(Scene, Name)      \
  struct Scene##_##Name : Scene {                  \
    void run();                                    \
  };                                               \
  TEST(HostAttack, Name) {                         \
    Scene##_##Name scene;                          \
    scene.run();                                   \
  }                                                \
  void Scene##_##Name::run()
