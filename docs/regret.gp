# docs/regret.gp - the decision's regret per cell as a heat map: map's first call, map after
# learning (10th call), and the static baselines, each as time / the best forced executor's
# time in that cell. Input: regret.dat (written by scripts/bench regret).
# Run from docs/: gnuplot regret.gp  ->  regret.png
set terminal pngcairo size 1000,820 font ",10"
set output "regret.png"
set title "Regret per cell (time / best forced executor); 1 is the best choice"
set termoption noenhanced
set palette defined (0 "#ffffff", 0.04 "#ffe08a", 0.15 "#f28e2b", 0.5 "#d62728", 1 "#5b0a0a")
set cbrange [1:4]
set logscale cb
set cblabel "regret (log scale; 1 = the best forced executor)"
set xtics ("map first" 0, "map learned" 1, "always seq" 2, "always threads" 3, "always processes" 4, \
           "300 ms rule" 5, "500 us threshold" 6) rotate by -30
n = int(system("grep -vc '^#' regret.dat"))
set ytics nomirror
set yrange [n - 0.5:-0.5]
set xrange [-0.5:6.5]
unset key
set style fill solid 1.0 noborder
cell(v) = v < 1 ? 1 : v
plot for [col=2:8] "regret.dat" using (col - 2):0:(0.5):(0.5):(cell(column(col))):ytic(1) with boxxyerror lc palette, \
     for [col=2:8] "" using (col - 2):0:(sprintf("%.2f", column(col))) with labels font ",8"
