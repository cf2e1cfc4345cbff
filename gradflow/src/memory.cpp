// gradflow/src/memory.cpp -- see memory.hpp.
#include "xrnn/gradflow/memory.hpp"

#include "xrnn/gradflow/tasks.hpp"
#include "xrnn/input_file.hpp" // format_bytes
#include "xrnn/memory_budget.hpp"

#include <algorithm>
#include <cstdio>

namespace xrnn::gradflow
{
    void check_sweep_memory(const Options& o, bool training)
    {
        const SyntheticTask task(task_from_name(o.task), 2); // only its sizes are read
        const double I = static_cast<double>(task.input_size()), O = static_cast<double>(task.output_size());
        for (const std::string& cell : o.cells)
            for (const std::size_t T : o.seq_lens)
            {
                RecurrentConfig rc;
                rc.cell = cell_from_name(cell);
                rc.input_size = task.input_size();
                rc.hidden_size = o.hidden_size;
                rc.num_layers = o.num_layers;
                const double params = recurrent_param_count(rc) + static_cast<double>(o.hidden_size) * O + O;
                const double S = static_cast<double>(T), B = static_cast<double>(o.batch_size);
                // forward + backward of one batch, its inputs, and the flow trace (2 norms per step and layer)
                double values = params * (training ? 4 : 2) + recurrent_activation_count(rc, S, B) + S * B * I
                                + 2 * S * static_cast<double>(o.num_layers);
                if (training)
                {
                    const double E = static_cast<double>(std::min<std::size_t>(250, o.test_size));
                    values += recurrent_activation_count(rc, S, E) + S * static_cast<double>(o.test_size) * I;
                }
                char count[32];
                std::snprintf(count, sizeof count, "%.3g", params);
                check_memory(8 * values, o.max_memory,
                             stack_phrase(rc) + " "
                                 + (training ? "training" : "probe") + " run at batch " + std::to_string(o.batch_size)
                                 + " x " + std::to_string(T) + " steps",
                             std::string(count) + " parameters, in double precision", "--max-memory");
            }
    }
}
