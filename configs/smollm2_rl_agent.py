"""SmolLM2-135M-Instruct after the post-training SFT, a few RL steps on multi-turn agent tasks: RL in the format
the agentic evals use, on a model that acts in it.

    python main.py --config=configs/smollm2_rl_agent.py --workdir=/tmp/midalign/smollm2/rl_agent \
        --config.rl.init_from=/tmp/midalign/smollm2/sft/sft/params      # the `sft` run's params (run.sh passes it)

rl.task agent_files: the world's office tasks (summarise a file, back up a folder, change a setting, run a script
and email its result, ...) played in the agentic evals' sandbox and `<call>` format, rewarded by the share of the
task the end state shows done (rl/tasks/agent_files.py). Each step plays 4 tasks x 4 episodes of up to 5 turns of
128 tokens; held-out accuracy (greedy, 16 tasks never trained on) before and after.
"""
from configs import smollm2_rl


def get_config():
    c = smollm2_rl.get_config()
    c.arm = "smollm2_rl_agent"
    c.rl.init_from = ""                # must be set: the untouched model makes no tool call (docs/real_model)
    c.rl.task = "agent_files"
    c.rl.task_args = ""
    c.rl.train_problems = 0            # every (kind, seed) pair of the train split
    c.rl.test_problems = 16
    return c
