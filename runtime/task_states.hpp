// Mesos task states: which of them end a task. As Mesos' isTerminalState:
// TASK_UNREACHABLE and TASK_UNKNOWN are not terminal (the task may still be
// running where nobody can see it), but the master stops counting a task
// in them as live: see leaves_cluster_state().
#pragma once

#include "mesos.pb.h"

namespace dcos {

inline bool is_terminal(mesos::v1::TaskState state) {
  switch (state) {
    case mesos::v1::TASK_FINISHED:
    case mesos::v1::TASK_FAILED:
    case mesos::v1::TASK_KILLED:
    case mesos::v1::TASK_ERROR:
    case mesos::v1::TASK_LOST:
    case mesos::v1::TASK_DROPPED:
    case mesos::v1::TASK_GONE:
    case mesos::v1::TASK_GONE_BY_OPERATOR:
      return true;
    default:
      return false;
  }
}

// Whether the master no longer counts a task in this state as live on its
// agent: terminal, or TASK_UNREACHABLE / TASK_UNKNOWN. Such a task leaves
// /master/state's live tasks and the state the node services follow.
inline bool leaves_cluster_state(mesos::v1::TaskState state) {
  return is_terminal(state) || state == mesos::v1::TASK_UNREACHABLE || state == mesos::v1::TASK_UNKNOWN;
}

}  // namespace dcos
