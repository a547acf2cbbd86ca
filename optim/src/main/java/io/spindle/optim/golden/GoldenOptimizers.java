package io.spindle.optim.golden;

import io.spindle.optim.Optimizer;
import io.spindle.optim.ParamSlot;
import io.spindle.optim.adamw.AdamW;
import io.spindle.optim.auon.AuOn;
import io.spindle.optim.coat.CoatQuantizer;
import io.spindle.optim.state.StateFormat;
import io.spindle.optim.auon.HybridAuOn;
import io.spindle.optim.lamb.Lamb;
import io.spindle.optim.math.NewtonSchulz;
import io.spindle.optim.muon.Muon;
import io.spindle.optim.muon.NorMuon;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Builds the optimizer a golden case describes, from its {@code algorithm}, {@code variant} and
 * {@code hyper}. The files' {@code algorithm} does not name the rule alone: {@code auon.json} and
 * {@code auon-package.json} both say {@code auon}, and both hybrid files say {@code hybrid}; the
 * {@code variant} then starts with "paper form" or "package form". So the AuON form is PACKAGE when
 * the variant says "package form" (or the algorithm is spelled {@code auon-package} /
 * {@code hybrid-auon-package}), else PAPER, the README's default.
 */
final class GoldenOptimizers {
    private static final Logger log = LoggerFactory.getLogger(GoldenOptimizers.class);

    /** Every optimizer algorithm name {@link #create} accepts, including the spelled-out AuON forms. */
    static final Set<String> ALGORITHMS = Set.of("adamw", "lamb", "muon", "normuon", "auon", "auon-package",
            "hybrid", "hybrid-auon", "hybrid-auon-package", "coat");

    private static final Set<String> ADAM_HYPER = Set.of("lr", "beta1", "beta2", "eps", "weight_decay");
    private static final Set<String> COAT_HYPER = union(ADAM_HYPER, Set.of("group_size"));
    private static final Set<String> MUON_HYPER = Set.of("lr", "momentum", "nesterov", "ns_steps", "ns_coefficients",
            "weight_decay");
    private static final Set<String> NORMUON_HYPER = union(MUON_HYPER, Set.of("beta2"));
    private static final Set<String> AUON_HYPER = Set.of("lr", "momentum", "nesterov", "weight_decay", "gamma", "ns_steps");
    private static final List<Double> NS_COEFFICIENTS = List.of(NewtonSchulz.A, NewtonSchulz.B, NewtonSchulz.C);

    private GoldenOptimizers() {}

    /** The optimizer for {@code c}; every role is decayed, as the golden vectors decay every parameter. */
    static Optimizer create(OptimizerCase c) {
        return switch (c.algorithm()) {
            case "adamw" -> {
                warnUnknownHyper(c, ADAM_HYPER);
                yield new AdamW(c.hyperDouble("beta1"), c.hyperDouble("beta2"), c.hyperDouble("eps"),
                        c.hyperDouble("weight_decay"), ParamSlot.ROLES);
            }
            case "coat" -> {
                // The golden "coat" case is AdamW with COAT-stored moments (its variant says so).
                warnUnknownHyper(c, COAT_HYPER);
                yield new AdamW(c.hyperDouble("beta1"), c.hyperDouble("beta2"), c.hyperDouble("eps"),
                        c.hyperDouble("weight_decay"), ParamSlot.ROLES, StateFormat.coat(c.hyperInt("group_size",
                        CoatQuantizer.DEFAULT_GROUP_SIZE)));
            }
            case "lamb" -> {
                warnUnknownHyper(c, ADAM_HYPER);
                yield new Lamb(c.hyperDouble("beta1"), c.hyperDouble("beta2"), c.hyperDouble("eps"),
                        c.hyperDouble("weight_decay"), ParamSlot.ROLES);
            }
            case "muon" -> {
                warnUnknownHyper(c, MUON_HYPER);
                requireQuinticCoefficients(c);
                yield new Muon(c.hyperDouble("momentum"), c.hyperBoolean("nesterov", true),
                        c.hyperInt("ns_steps", Muon.DEFAULT_NS_STEPS), c.hyperDouble("weight_decay"));
            }
            case "normuon" -> {
                warnUnknownHyper(c, NORMUON_HYPER);
                requireQuinticCoefficients(c);
                yield new NorMuon(c.hyperDouble("momentum"), c.hyperBoolean("nesterov", true),
                        c.hyperInt("ns_steps", Muon.DEFAULT_NS_STEPS), c.hyperDouble("beta2"), c.hyperDouble("weight_decay"));
            }
            case "auon", "auon-package" -> {
                warnUnknownHyper(c, AUON_HYPER);
                requireNesterov(c);
                AuOn.Form form = auonForm(c);
                yield new AuOn(form, c.hyperDouble("momentum"), c.hyperDouble("weight_decay"), gamma(c, form));
            }
            case "hybrid", "hybrid-auon", "hybrid-auon-package" -> {
                warnUnknownHyper(c, AUON_HYPER);
                requireNesterov(c);
                AuOn.Form form = auonForm(c);
                yield new HybridAuOn(form, c.hyperDouble("momentum"), c.hyperDouble("weight_decay"), gamma(c, form),
                        c.hyperInt("ns_steps", HybridAuOn.DEFAULT_NS_STEPS));
            }
            default -> throw new UnsupportedCaseException("optimizer algorithm '" + c.algorithm() + "' (" + c.variant()
                    + ") is not supported; supported: " + new TreeSet<>(ALGORITHMS));
        };
    }

    static AuOn.Form auonForm(OptimizerCase c) {
        boolean packaged = c.algorithm().endsWith("-package")
                || c.variant().toLowerCase(Locale.ROOT).contains("package form");
        return packaged ? AuOn.Form.PACKAGE : AuOn.Form.PAPER;
    }

    /** The package form's gamma is required; the paper form has none (1). */
    private static double gamma(OptimizerCase c, AuOn.Form form) {
        return form == AuOn.Form.PACKAGE ? c.hyperDouble("gamma") : 1.0;
    }

    /** AuON's reference code always uses Nesterov momentum; a case asking otherwise is not this rule. */
    private static void requireNesterov(OptimizerCase c) {
        if (!c.hyperBoolean("nesterov", true)) {
            throw new UnsupportedCaseException(c.algorithm() + " case asks for nesterov=false; AuON is defined with Nesterov momentum");
        }
    }

    /** NS coefficients are fixed by the README; a case with others would silently mismatch. */
    private static void requireQuinticCoefficients(OptimizerCase c) {
        Object given = c.hyper().get("ns_coefficients");
        if (given instanceof List<?> list && !list.equals(NS_COEFFICIENTS)) {
            throw new UnsupportedCaseException(c.algorithm() + " case uses Newton-Schulz coefficients " + list
                    + "; Spindle implements " + NS_COEFFICIENTS);
        }
    }

    private static void warnUnknownHyper(OptimizerCase c, Set<String> known) {
        Set<String> unknown = new TreeSet<>(c.hyper().keySet());
        unknown.removeAll(known);
        if (!unknown.isEmpty()) {
            log.warn("{} case ignores hyperparameters {}; this implementation reads {}", c.algorithm(), unknown, known);
        }
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> out = new TreeSet<>(a);
        out.addAll(b);
        return Set.copyOf(out);
    }
}
