// One file per task group; each registers its tasks in the `anonify` scope.
import "./verify-report";
import "./audit";
import "./token";
