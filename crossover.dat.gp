set terminal pngcairo size 960,600 font 'sans,11'
set output 'docs/crossover.png'
set logscale x
set logscale y 2
set grid
set key top left
set xlabel 'task duration per item (us)'
set ylabel 'speedup over sequential (measured)'
set title 'breakeven crossover: 2 cores, profile "calibrated" (filled: plan goes parallel; red x: plan off by more than 10%)'
set yrange [0.05:3.000000]
plot 1 with lines dt 2 lc rgb 'black' title 'sequential', 1.200000 with lines dt 3 lc rgb 'gray40' title 'min speedup', 'crossover.dat' index 0 using 1:2 with linespoints lw 2 pt 6 lc rgb '#1f77b4' title 'batch 8 (best executor)', 'crossover.dat' index 0 using 1:($5==1?$2:1/0) with points pt 7 ps 1.4 lc rgb '#1f77b4' notitle, 'crossover.dat' index 0 using 1:($6==0?$2:1/0) with points pt 2 ps 2.5 lw 2 lc rgb 'red' notitle, 'crossover.dat' index 1 using 1:2 with linespoints lw 2 pt 6 lc rgb '#2ca02c' title 'batch 64 (best executor)', 'crossover.dat' index 1 using 1:($5==1?$2:1/0) with points pt 7 ps 1.4 lc rgb '#2ca02c' notitle, 'crossover.dat' index 1 using 1:($6==0?$2:1/0) with points pt 2 ps 2.5 lw 2 lc rgb 'red' notitle, 'crossover.dat' index 2 using 1:2 with linespoints lw 2 pt 6 lc rgb '#d62728' title 'batch 512 (best executor)', 'crossover.dat' index 2 using 1:($5==1?$2:1/0) with points pt 7 ps 1.4 lc rgb '#d62728' notitle, 'crossover.dat' index 2 using 1:($6==0?$2:1/0) with points pt 2 ps 2.5 lw 2 lc rgb 'red' notitle
