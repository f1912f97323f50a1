// One file per task group; each registers its tasks in the `anonify` scope.
import "./verify-report";
import "./verify-quote";
import "./collateral";
import "./audit";
import "./deploy";
import "./node";
import "./status";
import "./group";
import "./token";
import "./send-query";
import "./runtimes";
import "./members";
import "./demo";
